from tests.fixtures_app import *  # noqa: F401,F403
from tests.fixtures_embed import *  # noqa: F401,F403
from tests.fixtures_index import *  # noqa: F401,F403
from tests.fixtures_llm import *  # noqa: F401,F403
