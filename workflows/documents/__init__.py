"""Rendering and issuing official documents: DOCX after GB/T 9704-2012, PDF with an embedded CJK font."""
