"""Official documents (催办通知书, 督办函, 专报, the quarterly 专报): pure content, numbering and figures.

Nothing here renders files or touches the database: `workflows/documents` renders DOCX/PDF and
`engine/persistence/document_store.py` reads the facts and stores what was issued.
"""
