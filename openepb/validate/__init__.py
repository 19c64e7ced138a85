"""The validator offices run on their own files (CLI and in-browser), on the same contract as the build."""
