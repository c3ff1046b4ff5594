"""Every table of the domain, imported in one place for Alembic and the test fixtures."""
from wms.core.audit import AuditEvent  # noqa: F401
from wms.core.db import Base  # noqa: F401
from wms.core.sequence import Sequence  # noqa: F401
from wms.accounts.models import ApiToken, User, UserOwner, UserRole  # noqa: F401
from wms.partners.models import Enterprise, EnterpriseRole  # noqa: F401

metadata = Base.metadata
