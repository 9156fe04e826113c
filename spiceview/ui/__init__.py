"""spiceview.ui"""
