from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotation"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # Django saves the whole user on each login, which would add a row to the
        # users' history (the audit log) every time; an update records nothing.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_last_login_update, dispatch_uid="annotator_last_login")

        from annotator.services.verdicts import judging_done_after_retire
        from rubrics_app.signals import criteria_retired

        criteria_retired.connect(judging_done_after_retire, dispatch_uid="judging_done")


def _last_login_update(sender, user, **kwargs) -> None:
    from django.utils import timezone

    type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())
