"""Registry import: a CSV of assets and their identifiers (EPC, GS1 barcode, serial) into
the registry, with a rejects file for the rows that cannot be loaded."""

from tracker.registry_import.identifiers import IdentifierCanonicaliser
from tracker.registry_import.importer import BATCH_ROWS, ImportReport, import_registry
from tracker.registry_import.rejects import REJECTS_HEADER
from tracker.registry_import.rows import COLUMNS, RegistryFileError

__all__ = [
    "BATCH_ROWS",
    "COLUMNS",
    "REJECTS_HEADER",
    "IdentifierCanonicaliser",
    "ImportReport",
    "RegistryFileError",
    "import_registry",
]
