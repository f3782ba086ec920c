"""Pure rules of the integration API: intake payloads, the 12315 field layout, masking and export rows."""
