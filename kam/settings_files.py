"""Settings of the commands that work on files alone (`kam analyze`): KAM's settings without any
app or middleware, so start-up imports no models, admin, API or their dependencies (about half a
second). Messages still come translated from ``LOCALE_PATHS``; the database is never opened."""

from kam.settings import *  # noqa: F403

INSTALLED_APPS = []
MIDDLEWARE = []
