import io
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from annotator.models import GeneratorModel, User, Video
from annotator.models.choices import MediaStatus, Role, VideoKind, WorkKind
from annotator.services.assignments import work_batch_create
from rubrics_app.choices import CriterionStatus, Dimension, Level, Polarity
from rubrics_app.models import Benchmark, Criterion, Task


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ANNOTATOR
    is_staff = factory.LazyAttribute(lambda u: u.role == Role.ADMIN)
    password = factory.django.Password("secret-pass-1")


class BenchmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benchmark

    name = factory.Sequence(lambda n: f"bench{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    benchmark = factory.SubFactory(BenchmarkFactory)
    index = factory.Sequence(lambda n: n + 1)
    prompt = factory.Sequence(lambda n: f"Cell process number {n}")
    requirement = "Show it faithfully."
    level = Level.CELLULAR


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    task = factory.SubFactory(TaskFactory)
    dimension = Dimension.SCIENTIFIC
    number = factory.Sequence(lambda n: n + 1)
    position = factory.LazyAttribute(lambda c: c.number)
    text = factory.Sequence(lambda n: f"Criterion {n} holds")
    polarity = Polarity.POSITIVE
    weight = Decimal(1)
    status = CriterionStatus.APPROVED


class GeneratorModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GeneratorModel
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"model{n}")


class VideoFactory(factory.django.DjangoModelFactory):
    """A generated video without a file; tests that need one attach it."""

    class Meta:
        model = Video

    kind = VideoKind.GENERATED
    task = factory.SubFactory(TaskFactory)
    generator = factory.SubFactory(GeneratorModelFactory)


class ClipFactory(factory.django.DjangoModelFactory):
    """A candidate dataset clip whose media is ready (no file needed to decide on it)."""

    class Meta:
        model = Video

    kind = VideoKind.DATASET
    task = None
    generator = None
    external_id = factory.Sequence(lambda n: f"clip{n:05d}")
    caption = factory.Sequence(lambda n: f"Red blood cells squeeze through capillary {n}.")
    level = Level.CELLULAR
    media_status = MediaStatus.READY


def author_of(*tasks: Task, **user_fields) -> User:
    """A new annotator with the tasks assigned for authoring: annotators change the
    criteria of those tasks only."""
    user = UserFactory(**user_fields)
    work_batch_create(
        name="authoring",
        kind=WorkKind.AUTHOR,
        items=tasks,
        users=[user],
        overlap=1,
        created_by=None,
    )
    return user


# A task with criteria in every dimension and videos with judge frames: what the judge
# and the API's draft endpoints work on.
# One solid colour per judge frame, so the order they are sent in can be checked.
COLOURS = [
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
    (0, 0, 0),
]
FRAME_SIZE = (1280, 720)


def jpeg(colour, size=FRAME_SIZE) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=95)
    return out.getvalue()


def give_frames(video):
    video.judge_frames = [
        default_storage.save(f"derived/{video.pk}/judge_{k}.jpg", ContentFile(jpeg(colour)))
        for k, colour in enumerate(COLOURS)
    ]
    video.media_status = MediaStatus.READY
    video.save()


def make_video(task, generator=None, ready=True):
    generator = generator or GeneratorModel.objects.get_or_create(name="Sora")[0]
    video = VideoFactory(task=task, generator=generator, media_status=MediaStatus.MISSING)
    if ready:
        give_frames(video)
    return video


def make_task(benchmark=None):
    task = TaskFactory(
        prompt="Neutrophils chase a bacterium",
        requirement="Show chemotaxis along a gradient.",
        **({"benchmark": benchmark} if benchmark else {}),
    )
    for position, (text, polarity) in enumerate(
        [
            ("The neutrophil moves toward the bacterium", Polarity.POSITIVE),
            ("Red blood cells carry nuclei", Polarity.PENALTY),
            ("The bacterium is engulfed", Polarity.POSITIVE),
        ]
    ):
        CriterionFactory(
            task=task, dimension="scientific", position=position, text=text, polarity=polarity
        )
    # Retired criteria do not count: they are not sent and get no score.
    CriterionFactory(task=task, dimension="scientific", position=9, status=CriterionStatus.RETIRED)
    for dimension in ("visual", "instruction"):
        for position in range(2):
            CriterionFactory(task=task, dimension=dimension, position=position)
    return task
