from tests.fixtures_app import *  # noqa: F403
from tests.fixtures_embed import *  # noqa: F403
from tests.fixtures_index import *  # noqa: F403
from tests.fixtures_llm import *  # noqa: F403
