"""The static files storage of a deployment: WhiteNoise's compressed, hashed-name storage."""

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    return tuple(
        (extension, tuple(p for p in rules if "sourceMappingURL" not in str(p)))
        for extension, rules in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The vendored libraries (kam/static/vendor) end with a `sourceMappingURL` comment naming a
    map we do not ship; the stock storage fails `collectstatic` on the missing file. The comment
    is left as written (a browser's developer tools ask for the map and get a 404); references
    in `url()` and `@import` are still rewritten to hashed names."""

    patterns = _without_source_maps(HashedFilesMixin.patterns)
