"""Pure OpenAI Chat Completions <-> Anthropic Messages translation (no I/O), for the proxy.

Requests, non-stream responses, streams (event by event), stop reasons, usage and errors,
both ways; and the OpenAI Responses API into both (``_resp_requests``, ``_resp_bodies``,
``_resp_streams``: a Responses front door over Chat Completions or Anthropic upstreams).
Each module's docstring lists what its direction drops or refuses.
"""

from __future__ import annotations

from gatecheck.protocols.translate._common import TranslationError
from gatecheck.protocols.translate._errors import (
    anthropic_error_to_openai,
    openai_error_to_anthropic,
)
from gatecheck.protocols.translate._requests import (
    DEFAULT_MAX_TOKENS,
    anthropic_to_openai_request,
    openai_to_anthropic_request,
)
from gatecheck.protocols.translate._resp_bodies import (
    anthropic_to_responses_response,
    anthropic_usage_to_responses,
    chat_to_responses_response,
    chat_usage_to_responses,
)
from gatecheck.protocols.translate._resp_requests import (
    responses_to_anthropic_request,
    responses_to_chat_request,
)
from gatecheck.protocols.translate._resp_streams import (
    AnthropicToResponsesStream,
    ChatToResponsesStream,
)
from gatecheck.protocols.translate._responses import (
    ANTHROPIC_TO_OPENAI_STOP,
    OPENAI_TO_ANTHROPIC_STOP,
    anthropic_stop,
    anthropic_to_openai_response,
    anthropic_usage_to_openai,
    openai_to_anthropic_response,
    openai_usage_to_anthropic,
)
from gatecheck.protocols.translate._streams import (
    CUT_STREAM_MESSAGE,
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
)

__all__ = [
    "ANTHROPIC_TO_OPENAI_STOP",
    "CUT_STREAM_MESSAGE",
    "DEFAULT_MAX_TOKENS",
    "OPENAI_TO_ANTHROPIC_STOP",
    "AnthropicToOpenAIStream",
    "AnthropicToResponsesStream",
    "ChatToResponsesStream",
    "OpenAIToAnthropicStream",
    "TranslationError",
    "anthropic_error_to_openai",
    "anthropic_stop",
    "anthropic_to_openai_request",
    "anthropic_to_openai_response",
    "anthropic_to_responses_response",
    "anthropic_usage_to_openai",
    "anthropic_usage_to_responses",
    "chat_to_responses_response",
    "chat_usage_to_responses",
    "openai_error_to_anthropic",
    "openai_to_anthropic_request",
    "openai_to_anthropic_response",
    "openai_usage_to_anthropic",
    "responses_to_anthropic_request",
    "responses_to_chat_request",
]
