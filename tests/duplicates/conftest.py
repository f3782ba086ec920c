from tests.api.conftest import api_engine, app, client, token  # noqa: F401  (the API's fixtures)
