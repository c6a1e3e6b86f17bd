"""One module per exercise kind; each registers its ExerciseKind with chartdesk.training.grading."""
