"""spiceview.canvas"""
