"""Reports: response times, volumes, recognition, read from the activity log (RE1-RE4)."""
