"""Reading what the command judges: cloud assemblies, CloudFormation templates, nested stacks, and what each
value of a template will be at deploy time. Imports nothing of the rooms above it (judging, evaluating,
describing)."""
