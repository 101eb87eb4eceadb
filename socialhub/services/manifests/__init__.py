"""YAML manifests: reading, applying, exporting."""
