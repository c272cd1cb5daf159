"""The SQLAlchemy adapter: schema, engine, migrations and stores that never commit."""
