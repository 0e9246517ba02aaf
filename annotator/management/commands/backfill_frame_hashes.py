from django.core.management.base import BaseCommand

from annotator.services.frame_hashes import videos_hash_backfill


class Command(BaseCommand):
    help = (
        "Hash the judge frames of videos processed before frame hashes were kept (what "
        "contamination reports compare); new videos are hashed by the media pipeline."
    )

    def handle(self, *args, **options):
        done, problems = videos_hash_backfill()
        for problem in problems:
            self.stderr.write(f"warning: {problem}")
        self.stdout.write(f"hashed the judge frames of {done} videos")
