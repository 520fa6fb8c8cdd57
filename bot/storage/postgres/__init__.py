"""The PostgreSQL backend (``DATABASE_URL``): many processes on one database."""
