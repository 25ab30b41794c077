"""Instructor, Verifier, Evaluator, feedback: prompts, requests, jobs, dedup, curation."""
