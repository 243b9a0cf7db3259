from platform_core.models.exports import ExportJob, ExportPurpose, ProjectDelivery
from platform_core.models.imports import ImportJob, ImportStatus
from platform_core.models.organizations import Membership, Organization, Role
from platform_core.models.predictions import Prediction
from platform_core.models.projects import Dataset, Project, ProjectKind, TaskType
from platform_core.models.tasks import Task, TaskStatus

__all__ = [
    "Dataset",
    "ExportJob",
    "ExportPurpose",
    "ImportJob",
    "ImportStatus",
    "Membership",
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
