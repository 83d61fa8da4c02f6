"""The CMDB register: importing CIs from the organisation's spreadsheets and exporting them back.

``columns`` names the fields and the header spellings a register uses, ``mapping`` reads a
site's own header names, ``reading`` turns CSV or XLSX bytes into cells, ``cells`` checks one
value, ``validation`` checks every row, ``planning`` compares rows with the CMDB, and
``importing`` runs it all in one transaction. ``exporting`` writes the same columns back out.
``presets`` describes other tools' exports (Snipe-IT, GLPI) as mappings for the same import.
"""
