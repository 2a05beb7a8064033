"""What the tests of every app share: builders of rows (factories), browser and waiting helpers.

Only tests and conftest files import this package; no application code does. Fixtures stay in the
conftest files, which may call these builders.
"""
