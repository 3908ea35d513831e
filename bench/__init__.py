"""erlen's benchmark suite: one app in several frameworks, measured side by side."""
