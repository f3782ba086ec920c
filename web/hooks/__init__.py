"""Callbacks from outside providers (SMS delivery receipts and replies), verified before they change anything."""
