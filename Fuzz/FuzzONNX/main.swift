import Importers
