"""Models of the shared layer: rate-limit counters, and the append-only base of record models."""

from django.db import models


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted through the ORM (X2)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{self._meta.verbose_name_plural} are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name_plural} are append-only")


class RateCounter(models.Model):
    """One fixed window of one rate-limit key (portal.ratelimit)."""

    key = models.CharField(max_length=128)
    window = models.BigIntegerField(help_text="start of the window, seconds since the epoch")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="portal_ratecounter_key_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"
