"""LLM providers: structured requests, retrying client, offline heuristic, batch mode.

    cls = registry.provider_class("openai")      # name -> class with its capabilities
    provider = cls.create("gpt-4o-mini", timeout=60.0)
    client = LLMClient(provider, call_log, concurrency=8)
    result = await client.complete(LLMRequest(purpose="verify", ..., schema_name="verdict"))

(Nothing is imported here, so `import honeybee_core.providers.base` stays light.)
"""
