import factory
from django.contrib.auth import get_user_model

from platform_core.models import Membership, Organization, Project, Role, TaskType

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.ANNOTATOR


LABEL_CONFIGS = {
    TaskType.TEXT_CLASSIFICATION: {
        "labels": [
            {"value": "positive", "hotkey": "1", "color": "#2e7d32"},
            {"value": "negative", "hotkey": "2", "color": "#c62828"},
        ]
    },
    TaskType.TEXT_SPANS: {"labels": [{"value": "PER", "hotkey": "p"}, {"value": "ORG"}]},
    TaskType.PREFERENCE: {},
    TaskType.SFT: {},
    TaskType.IMAGE_CLASSIFICATION: {"labels": [{"value": "cat"}, {"value": "dog"}]},
    TaskType.IMAGE_BOXES: {"labels": [{"value": "car"}, {"value": "person"}]},
    TaskType.AUDIO_CLASSIFICATION: {"labels": [{"value": "speech"}, {"value": "music"}]},
    TaskType.AUDIO_TRANSCRIPTION: {"labels": [{"value": "speaker A"}, {"value": "speaker B"}]},
}


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    task_type = TaskType.TEXT_CLASSIFICATION
    label_config = factory.LazyAttribute(lambda o: LABEL_CONFIGS[o.task_type])
    # Tests that look for a suggestion must see it; the held-out share is tested on its own.
    suggestion_holdout_rate = 0.0
