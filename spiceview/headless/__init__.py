"""Running a session without a window: screenshots now, the scriptable automation API later."""
