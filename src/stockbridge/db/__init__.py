"""Database layer: engine and sessions, column types, and the ORM models of every domain."""
