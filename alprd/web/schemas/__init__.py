"""Request and response models of the REST API (the shapes of galaxy-alpr-api.txt).

Field names are the contract's, snake_case or camelCase exactly as its examples;
fields beyond the examples are additions, never renames. These same models validate
requests and generate ``/openapi.json``. One module per group of routes; routes use
them as ``from alprd.web import schemas as s`` -> ``s.DetectionList``.
"""

from alprd.web.schemas.base import *  # noqa: F403
from alprd.web.schemas.detection import *  # noqa: F403
from alprd.web.schemas.lists import *  # noqa: F403
from alprd.web.schemas.locations import *  # noqa: F403
from alprd.web.schemas.records import *  # noqa: F403
from alprd.web.schemas.statistics import *  # noqa: F403
from alprd.web.schemas.webhooks import *  # noqa: F403
