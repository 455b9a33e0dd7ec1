"""The OpenAI Responses API: its wire facts (wire), producers (_emit) and judges (checks)."""
