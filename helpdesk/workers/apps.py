from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "helpdesk.workers"
    label = "workers"
    verbose_name = "Workers: django-q2 supervision"

    def ready(self) -> None:
        from django_q.signals import post_spawn, pre_execute

        from helpdesk.workers.services import heartbeat_on_spawn, heartbeat_on_task

        # Connected in every process that loads Django, so the qcluster's forked workers inherit them.
        post_spawn.connect(heartbeat_on_spawn, dispatch_uid="helpdesk.workers.heartbeat_on_spawn")
        pre_execute.connect(heartbeat_on_task, dispatch_uid="helpdesk.workers.heartbeat_on_task")
