"""Amazon Chime SDK PSTN audio: CreateSipMediaApplicationCall out, the SIP media application's events back."""
