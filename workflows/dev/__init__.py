"""Things for development and demonstration only: the demo data, the fake Twilio server, the LA 311 loader.

Product code never imports this package (tests/unit/test_layers.py); only the command line and the tests do."""
