"""newsetl's Prefect flows: the scrape flow (``etl``), ``serve`` and its warm executors.

Importing this package first points Prefect at newsetl's state folder (``flows/env.py``), so
every flow module can import Prefect at its top and still get the right settings.
"""

from flows.env import prepare_prefect_env

prepare_prefect_env()
