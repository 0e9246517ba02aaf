from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "rubrics_app"
    verbose_name = "Benchmarks and rubrics"
