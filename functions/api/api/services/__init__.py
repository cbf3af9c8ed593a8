"""The API's services: small units of logic taking `now`, handed their repositories and clients."""
