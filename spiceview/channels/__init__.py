"""spiceview.channels"""
