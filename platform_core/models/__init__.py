from platform_core.models.exports import ExportJob, ExportPurpose, ProjectDelivery
from platform_core.models.imports import ImportJob, ImportStatus
from platform_core.models.organizations import (
    Membership,
    MembershipAction,
    MembershipEvent,
    Organization,
    Role,
)
from platform_core.models.predictions import Prediction
from platform_core.models.projects import Dataset, LabelRenameJob, Project, ProjectKind, TaskType
from platform_core.models.tasks import AcceptedSource, Task, TaskStatus

__all__ = [
    "AcceptedSource",
    "Dataset",
    "ExportJob",
    "ExportPurpose",
    "ImportJob",
    "ImportStatus",
    "LabelRenameJob",
    "Membership",
    "MembershipAction",
    "MembershipEvent",
    "Organization",
    "Prediction",
    "Project",
    "ProjectDelivery",
    "ProjectKind",
    "Role",
    "Task",
    "TaskStatus",
    "TaskType",
]
