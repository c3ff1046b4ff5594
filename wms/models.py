"""Every table of the domain, imported in one place for Alembic and the test fixtures."""
from wms.core.audit import AuditEvent  # noqa: F401
from wms.core.db import Base  # noqa: F401
from wms.core.sequence import Sequence  # noqa: F401
from wms.accounts.models import ApiToken, User, UserOwner, UserRole  # noqa: F401
from wms.partners.models import (BlacklistEntry, DocumentHold, Enterprise,  # noqa: F401
                                 EnterpriseRefusal, EnterpriseRole)
from wms.core.idempotency import IdempotencyKey  # noqa: F401
from wms.customs.models import CustomsCode, CustomsMessage, CustomsReceipt  # noqa: F401
from wms.catalog.models import Lot, Product  # noqa: F401
from wms.inventory.models import (CountLine, CountSession, Location, Package,  # noqa: F401
                                  Quant, StockDocument,
                                  StockMove, Warehouse)
from wms.inbound.models import (DeclarationLine, Discrepancy, EntryDeclaration,  # noqa: F401
                                PutawayRule, Receipt, ReceiptLine, TallyScan)
import wms.logistics.models  # noqa: F401,E402  (the logistics tables)
import wms.logistics.transfers  # noqa: F401,E402  (leg transfers)
import wms.logistics.parcels  # noqa: F401,E402  (parcels as transport units)
from wms.outbound.models import (AccountBookEntry, InventoryList, OrderLine, Parcel,  # noqa: F401
                                 Payment, SalesOrder, ShortPick, Wave, WaveOrder, Waybill)
from wms.returns.models import (ConsolidationBatch, ReturnDeclaration, ReturnLine,  # noqa: F401
                                ReturnParcel, ReturnRequest)
from wms.accountbook.models import AccountBookEntry as _Book  # noqa: F401,E402
from wms.trace.models import Recall, RecallLot  # noqa: F401,E402
from wms.jobs.models import JobFailure, JobRun, Notice, ReceiptFile  # noqa: F401,E402
from wms.risk.models import RiskWarning  # noqa: F401,E402

metadata = Base.metadata
