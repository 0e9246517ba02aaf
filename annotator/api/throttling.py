import logging
import math

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from annotator.models import ApiToken

log = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    """API_THROTTLE_RATE per token, so that one runaway script does not use up its
    owner's other tokens or browser session; per user for sessions.

    A fixed window counted with the cache's atomic increment (Redis INCR): concurrent
    requests each get their own count, where DRF's history list (read, append, write
    back) lets requests that read at the same time all pass."""

    scope = "api"
    # Set by SimpleRateThrottle.__init__ from parse_rate(get_rate()), which the stubs
    # leave out; the rate is always set here, so both are numbers.
    num_requests: int
    duration: int

    def get_rate(self) -> str:
        # Read per request rather than frozen at import, so settings overrides apply.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: object) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: object) -> bool:
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        key = f"{self.get_cache_key(request, view)}_{window}"
        try:
            # The key outlives its window, so it never expires between add and incr
            # (an incr of a vanished key would fail or leave a key without expiry).
            self.cache.add(key, 0, timeout=self.duration + 1)
            count = self.cache.incr(key)
        except (redis.RedisError, OSError) as exc:
            # Fail open: the throttle guards against runaway scripts, not intruders
            # (tokens do that); an unreachable cache must not take the API down with it.
            log.warning("API throttle not applied, its cache is unreachable: %s", exc)
            return True
        return count <= self.num_requests

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)
