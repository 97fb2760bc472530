"""AWS End User Messaging SMS (`pinpoint-sms-voice-v2`): SendTextMessage out, configuration-set events back."""
