"""The Commerce Notification API's errors, with the ids of its official file.

Every id and message below is from the ``x-response-codes`` of
commerce_notification_v1_oas3.json (domain ``API_NOTIFICATION``); the shape is eBay's
REST error shape (:class:`~stockbridge.sandbox.ebay.errors.EbayError`). Token errors
(1001, 1100) are eBay's common ones, in errors.py.
"""

from __future__ import annotations

from stockbridge.sandbox.ebay.errors import EbayError

NOTIFICATION = "API_NOTIFICATION"


def _request(status: int, error_id: int, message: str, field: str | None = None) -> EbayError:
    parameters = [("field", field)] if field else []
    return EbayError(status, error_id, NOTIFICATION, "REQUEST", message, parameters=parameters)


def system_error(info: str = "") -> EbayError:
    message = (
        "There was a problem with an eBay internal system or process. "
        "Contact eBay developer support for assistance."
    )
    return EbayError(500, 195000, NOTIFICATION, "APPLICATION", f"{message} {info}".strip())


def invalid_key_id() -> EbayError:
    return _request(404, 195001, "The specified key id is invalid.")


def unknown_topic() -> EbayError:
    return _request(404, 195002, "Invalid or missing topic id.")


def config_missing() -> EbayError:
    return _request(
        409, 195003, "Please provide configurations required for notifications. Refer to /config"
    )


def invalid_limit() -> EbayError:
    return _request(400, 195004, "Invalid limit. Supported ranges 10 - 100.", "limit")


def invalid_continuation_token() -> EbayError:
    return _request(400, 195005, "Invalid continuation token.", "continuation_token")


def invalid_subscription_status() -> EbayError:
    return _request(400, 195006, "Invalid or missing subscription status.", "status")


def invalid_subscription_destination() -> EbayError:
    return _request(400, 195007, "Invalid or missing destination id.", "destinationId")


def invalid_schema_version() -> EbayError:
    return _request(
        400,
        195008,
        "Invalid or missing schema version. Please refer to /topic/{topic_id} for supported "
        "schema versions.",
        "payload.schemaVersion",
    )


def unsupported_format() -> EbayError:
    return _request(
        400, 195009, "Specified format is not supported for the topic.", "payload.format"
    )


def invalid_protocol() -> EbayError:
    return _request(400, 195010, "Invalid or missing protocol", "payload.deliveryProtocol")


def not_authorized_for_topic() -> EbayError:
    return _request(403, 195011, "Not authorized for this topic.")


def subscription_exists() -> EbayError:
    return _request(409, 195012, "Subscription already exists")


def unknown_subscription() -> EbayError:
    return _request(404, 195013, "The subscription id does not exist.")


def destination_not_enabled() -> EbayError:
    return _request(
        409, 195015, "The subscription cannot be enabled since the destination is not enabled."
    )


def invalid_destination_name() -> EbayError:
    return _request(
        400, 195016, "Invalid name. Markups or lengths greater than 64 not supported", "name"
    )


def invalid_endpoint() -> EbayError:
    return _request(400, 195017, "Invalid or missing endpoint.", "deliveryConfig.endpoint")


def invalid_destination_status() -> EbayError:
    return _request(
        400,
        195018,
        "Invalid or missing destination status. Supported values:[ENABLED,DISABLED]",
        "status",
    )


def invalid_verification_token() -> EbayError:
    return _request(
        400,
        195019,
        "Invalid or missing verification token for this endpoint.",
        "deliveryConfig.verificationToken",
    )


def challenge_failed() -> EbayError:
    return _request(409, 195020, "Challenge verification failed for requested endpoint")


def destination_exists() -> EbayError:
    return _request(409, 195021, "Destination exists for this endpoint")


def unknown_destination() -> EbayError:
    return _request(404, 195022, "Invalid or missing destination id.")


def destination_in_use() -> EbayError:
    return _request(409, 195024, "Destination is in use and cannot be deleted.")


def invalid_alert_email() -> EbayError:
    return _request(400, 195025, "Invalid or missing email.", "alertEmail")


def config_not_found() -> EbayError:
    return EbayError(404, 195026, NOTIFICATION, "APPLICATION", "Configuration Not Found.")


def invalid_topic_id() -> EbayError:
    return _request(400, 195027, "Invalid or missing topic id.", "topicId")
