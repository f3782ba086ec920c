"""The pages people see, one blueprint per audience or area (supervisor, unit, leadership, admin, …)."""
