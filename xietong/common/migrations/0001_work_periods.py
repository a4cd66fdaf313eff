from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='WorkCalendar',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=64, unique=True)),
                ('first_day', models.DateField()),
                ('last_day', models.DateField()),
            ],
            options={
                'ordering': ('key',),
                'constraints': [models.CheckConstraint(condition=models.Q(('first_day__lte', models.F('last_day'))), name='common_workcalendar_range_ordered')],
            },
        ),
        migrations.CreateModel(
            name='WorkPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('calendar', models.CharField(max_length=64)),
                ('start_us', models.BigIntegerField()),
                ('end_us', models.BigIntegerField()),
                ('cum_us', models.BigIntegerField()),
                ('day', models.DateField()),
            ],
            options={
                'ordering': ('calendar', 'start_us'),
                'constraints': [models.UniqueConstraint(fields=('calendar', 'start_us'), name='common_workperiod_unique_start'), models.CheckConstraint(condition=models.Q(('end_us__gt', models.F('start_us'))), name='common_workperiod_not_empty')],
            },
        ),
    ]
