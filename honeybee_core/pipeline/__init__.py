"""Jobs on the providers: the Instructor, Verifier and Evaluator, feedback, the held-out set."""
