"""The mock Azure OpenAI server, checked by the official `openai` client.

The mock is only as faithful as a real client says: these tests drive
`mock-azure-openai` (a real process on 127.0.0.1) with `openai.AzureOpenAI`
and expect what the SDK does against Azure: streaming with usage (surviving
Azure's empty-choices first event), its own retry after a 429, and the
typed errors for content filtering, unknown deployments and bad keys.
"""

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
API_VERSION = "2025-04-01-preview"


@pytest.fixture(scope="module")
def mock_url():
    binary = os.environ.get("MOCK_AZURE_OPENAI_BIN", str(REPO / "target/debug/mock-azure-openai"))
    proc = subprocess.Popen(
        [binary, "--port", "0", "--slow-ms", "20"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on "), line
        yield line.removeprefix("listening on ")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(url, key="test-key", retries=2):
    return openai.AzureOpenAI(
        azure_endpoint=url, api_key=key, api_version=API_VERSION, max_retries=retries
    )


def logged(url, deployment):
    with urllib.request.urlopen(f"{url}/__mock/requests") as response:
        return [r for r in json.load(response) if r["deployment"] == deployment]


MESSAGES = [
    {"role": "developer", "content": "Formatting re-enabled. Be brief."},
    {"role": "user", "content": "hello"},
]


def test_streaming_with_usage(mock_url):
    stream = client(mock_url).chat.completions.create(
        model="o3-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        max_completion_tokens=500,
    )
    text, usage = "", None
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta and choice.delta.content:
                text += choice.delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text == "Mock reply to: hello"
    assert usage is not None
    assert usage.completion_tokens_details.reasoning_tokens == 16
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_the_sdk_retries_a_429(mock_url):
    reply = client(mock_url).chat.completions.create(
        model="o3-mini-rate-limited-once", messages=MESSAGES
    )
    assert reply.choices[0].message.content == "Mock reply to: hello"
    assert len(logged(mock_url, "o3-mini-rate-limited-once")) == 2


def test_a_filtered_prompt_is_a_bad_request(mock_url):
    with pytest.raises(openai.BadRequestError) as caught:
        client(mock_url).chat.completions.create(model="o3-mini-prompt-filter", messages=MESSAGES)
    assert caught.value.code == "content_filter"


def test_an_unknown_deployment_is_not_found(mock_url):
    with pytest.raises(openai.NotFoundError) as caught:
        client(mock_url).chat.completions.create(model="o3-mini-not-found", messages=MESSAGES)
    assert caught.value.code == "DeploymentNotFound"


def test_a_wrong_key_is_an_authentication_error(mock_url):
    with pytest.raises(openai.AuthenticationError):
        client(mock_url, key="wrong").chat.completions.create(model="o3-mini", messages=MESSAGES)


def test_a_non_streaming_deployment(mock_url):
    reply = client(mock_url).chat.completions.create(
        model="o1-nostream", messages=MESSAGES, stream=False
    )
    assert reply.choices[0].message.content == "Mock reply to: hello"
    assert reply.usage.completion_tokens_details.reasoning_tokens == 16
    with pytest.raises(openai.BadRequestError):
        client(mock_url).chat.completions.create(model="o1-nostream", messages=MESSAGES, stream=True)


def test_reasoning_deployments_refuse_max_tokens(mock_url):
    with pytest.raises(openai.BadRequestError) as caught:
        client(mock_url).chat.completions.create(model="o3-mini", messages=MESSAGES, max_tokens=10)
    assert caught.value.code == "unsupported_parameter"
    reply = client(mock_url).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, max_tokens=10, temperature=0.2
    )
    assert reply.choices[0].message.content == "Mock reply to: hello"


PNG_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQAB"
    "DQottAAAAABJRU5ErkJggg=="
)


def test_an_image_content_part_to_a_vision_deployment(mock_url):
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
            ],
        },
    ]
    stream = client(mock_url).chat.completions.create(
        model="gpt-4o-vision",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=500,
    )
    text, usage = "", None
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta and choice.delta.content:
                text += choice.delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text == "Mock reply to: what is this? [image/png image, 67 bytes]"
    assert usage is not None and usage.prompt_tokens > 85
    sent = logged(mock_url, "gpt-4o-vision")[-1]["body"]["messages"][1]["content"]
    assert sent[1] == {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}


def test_an_image_for_a_text_only_deployment_is_a_bad_request(mock_url):
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "see?"},
                {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
            ],
        }
    ]
    with pytest.raises(openai.BadRequestError) as err:
        client(mock_url).chat.completions.create(model="o3-mini", messages=messages)
    assert "image_url is only supported by certain models" in str(err.value)
