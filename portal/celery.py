import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id follows a request into the tasks it enqueues (portal.requestid).
from portal import requestid  # noqa: E402 (after the settings module is named)

before_task_publish.connect(requestid.task_publishing, weak=False)
task_prerun.connect(requestid.task_starting, weak=False)
task_postrun.connect(requestid.task_finished, weak=False)
