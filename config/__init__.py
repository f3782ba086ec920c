"""Settings, the rule table and the working calendar: data files and their validating loaders."""
